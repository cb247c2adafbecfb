"""Carrier: outbound webhooks as a service. The domain package every function imports."""

__version__ = "0.1.0"
