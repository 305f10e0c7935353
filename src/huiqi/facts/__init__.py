"""What an applicant brings: the case schema, identifiers, the SME size table, and the
columnar layout the engine evaluates (a case is a few rows; a population is many)."""
