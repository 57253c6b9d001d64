"""The demo `shop` database: its schema and a deterministic data generator."""
