"""Several people per enterprise (its administrator and clerks, who signs for it) and the consents
it gives the service centre's officers (帮办)."""
