"""Channel orders into canonical orders: mapping, quarantine, updates, payments."""
