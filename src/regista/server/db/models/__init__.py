"""ORM models, one module per class; importing this package registers every table on Base.metadata."""

from regista.server.db.models.catalog import (
    UcAuditEntry,
    UcCatalog,
    UcGrant,
    UcModel,
    UcModelAlias,
    UcModelTag,
    UcModelVersion,
    UcModelVersionTag,
    UcSchema,
    UcVersionLineage,
)
from regista.server.db.models.dataset import Dataset, RunDatasetInput
from regista.server.db.models.evaluation_dataset import (
    EvaluationDataset,
    EvaluationDatasetExperiment,
    EvaluationDatasetRecord,
    EvaluationDatasetTag,
)
from regista.server.db.models.experiment import Experiment, ExperimentTag
from regista.server.db.models.governance import TransitionRequest, VersionActivity, VersionComment
from regista.server.db.models.identity import AccessToken, GroupMember, Identity
from regista.server.db.models.logged_model import (
    LoggedModel,
    LoggedModelMetric,
    LoggedModelParam,
    LoggedModelTag,
    RunModelInput,
    RunModelOutput,
)
from regista.server.db.models.metric import LatestMetric, Metric
from regista.server.db.models.model_version import ModelVersion, ModelVersionTag
from regista.server.db.models.notification import (
    NotificationCount,
    NotificationFollow,
    NotificationSubscription,
    NotificationUserSetting,
)
from regista.server.db.models.outbox_event import OutboxEvent
from regista.server.db.models.permission import AccessControlEntry
from regista.server.db.models.registered_model import (
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)
from regista.server.db.models.run import Param, Run, RunTag
from regista.server.db.models.serving_endpoint import ServingEndpoint, ServingUsage
from regista.server.db.models.trace import (
    Assessment,
    Trace,
    TraceMetadata,
    TraceRunLink,
    TraceSpan,
    TraceTag,
)
from regista.server.db.models.ui_session import UiSession
from regista.server.db.models.webhook import Delivery, DeliveryAttempt, Webhook

__all__ = [
    "Assessment",
    "Trace",
    "TraceMetadata",
    "TraceRunLink",
    "TraceSpan",
    "TraceTag",
    "AccessControlEntry",
    "AccessToken",
    "GroupMember",
    "Identity",
    "TransitionRequest",
    "VersionActivity",
    "VersionComment",
    "Dataset",
    "Delivery",
    "DeliveryAttempt",
    "EvaluationDataset",
    "EvaluationDatasetExperiment",
    "EvaluationDatasetRecord",
    "EvaluationDatasetTag",
    "Experiment",
    "ExperimentTag",
    "LatestMetric",
    "LoggedModel",
    "LoggedModelMetric",
    "LoggedModelParam",
    "LoggedModelTag",
    "Metric",
    "ModelVersion",
    "ModelVersionTag",
    "NotificationCount",
    "NotificationFollow",
    "NotificationSubscription",
    "NotificationUserSetting",
    "OutboxEvent",
    "Param",
    "RegisteredModel",
    "RegisteredModelAlias",
    "RegisteredModelTag",
    "Run",
    "RunDatasetInput",
    "RunModelInput",
    "RunModelOutput",
    "RunTag",
    "ServingEndpoint",
    "ServingUsage",
    "UiSession",
    "UcAuditEntry",
    "UcCatalog",
    "UcGrant",
    "UcModel",
    "UcModelAlias",
    "UcModelTag",
    "UcModelVersion",
    "UcModelVersionTag",
    "UcSchema",
    "UcVersionLineage",
    "Webhook",
]
