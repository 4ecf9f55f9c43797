"""The QuickBooks <-> Stripe product around the two plugins: the local sandbox and the demo."""
