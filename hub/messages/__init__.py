"""The message centre: customer message templates (per channel and language) and their
rendering; sending lives in hub/service_layer/customer_messages.py."""
