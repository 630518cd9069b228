"""Layer 3, dataset readers: one per dataset, all returning the record types of ``base``."""
