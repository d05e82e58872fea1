"""What environment a model asks for, read from the files mlflow writes beside it (python_env.yaml,
requirements.txt, conda.yaml), and the hash that names the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from regista.environments.requirements import ModelEnvironmentError, read_environment

PYTHON_ENV = """python: 3.11.7
build_dependencies:
- pip==26.3
- setuptools==65.5.0
- wheel
dependencies:
- -r requirements.txt
"""


def _model(tmp: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp)


def test_python_env_and_its_requirement_files_are_flattened_and_sorted(tmp_path):
    model = _model(tmp_path, {
        "python_env.yaml": PYTHON_ENV,
        "requirements.txt": "# written by mlflow\nscikit-learn==1.9.1\nmlflow==3.17.2  # the flavor\n\n"
                            "-r extra/more.txt\n-c constraints.txt\n./code/pkg.whl\n",
        "extra/more.txt": "pandas==3.1.1\n",
        "constraints.txt": "numpy<3\n",
    })
    spec = read_environment(model, "3.12")
    assert spec.python == "3.11" and spec.requested_python == "3.11.7"
    assert spec.source == "python_env.yaml"
    assert spec.build == ("pip==26.3", "setuptools==65.5.0", "wheel")
    assert spec.requirements == (str(tmp_path / "code" / "pkg.whl"), "mlflow==3.17.2", "pandas==3.1.1",
                                 "scikit-learn==1.9.1")
    assert spec.constraints == ("numpy<3",)
    assert spec.notes == ()


def test_the_hash_names_what_is_installed_not_how_it_is_written(tmp_path):
    def digest(name: str, requirements: str, python: str = "3.11.7", manager: str = "uv") -> str:
        folder = tmp_path / name
        folder.mkdir()
        env = PYTHON_ENV.replace("3.11.7", python)
        return read_environment(_model(folder, {"python_env.yaml": env, "requirements.txt": requirements}),
                                "3.11").digest(manager)

    first = digest("a", "mlflow==3.17.2\nscikit-learn==1.9.1\n")
    assert digest("b", "scikit-learn==1.9.1\n# same, reordered\nmlflow==3.17.2\n") == first
    assert digest("c", "mlflow==3.17.2\nscikit-learn==1.9.1\n", python="3.11.2") == first  # same minor
    assert digest("d", "mlflow==3.17.2\nscikit-learn==1.9.1\n", python="3.12.1") != first
    assert digest("e", "mlflow==3.17.2\nscikit-learn==1.9.0\n") != first
    assert digest("f", "mlflow==3.17.2\nscikit-learn==1.9.1\n", manager="virtualenv") != first
    assert len(first) == 32


def test_conda_yaml_is_read_when_there_is_no_python_env(tmp_path):
    model = _model(tmp_path, {"conda.yaml": (
        "channels: [conda-forge]\ndependencies:\n- python=3.10.4\n- pip<=26.3\n- libgomp=14\n"
        "- pip:\n  - mlflow==3.17.2\n  - scikit-learn==1.9.1\nname: mlflow-env\n"
    )})
    spec = read_environment(model, "3.11")
    assert (spec.python, spec.requested_python, spec.source) == ("3.10", "3.10.4", "conda.yaml")
    assert spec.requirements == ("mlflow==3.17.2", "scikit-learn==1.9.1")
    assert any("libgomp=14" in note for note in spec.notes)


def test_a_model_without_mlflow_or_a_python_version_gets_them_and_says_so(tmp_path):
    spec = read_environment(_model(tmp_path, {"requirements.txt": "scikit-learn==1.9.1\n"}), "3.11")
    assert spec.python == "3.11"
    assert any(r.startswith("mlflow") for r in spec.requirements)
    assert len(spec.notes) == 2


@pytest.mark.parametrize(("files", "needle"), [
    ({}, "has no python_env.yaml, conda.yaml or requirements.txt"),
    ({"python_env.yaml": "python: latest\ndependencies: []\n"}, "not a version"),
    ({"python_env.yaml": "- a list\n"}, "not a mapping"),
    ({"python_env.yaml": PYTHON_ENV}, "requirements.txt cannot be read"),
    ({"python_env.yaml": PYTHON_ENV, "requirements.txt": "-r ../outside.txt\n"}, "outside the model's folder"),
])
def test_unusable_environment_files_are_named(tmp_path, files, needle):
    model = tmp_path / "model"
    model.mkdir()
    (tmp_path / "outside.txt").write_text("x\n")
    with pytest.raises(ModelEnvironmentError, match=needle):
        read_environment(_model(model, files), "3.11")
