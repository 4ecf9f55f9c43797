"""Business rules per QBO entity: validation, computed fields and side effects of writes."""
