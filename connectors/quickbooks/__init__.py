"""The QuickBooks Online connector plugin and its local emulator (`emulator/`)."""
