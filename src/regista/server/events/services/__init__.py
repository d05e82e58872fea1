"""Business rules of the events domain: webhooks, deliveries, e-mail notifications, the dispatcher."""
