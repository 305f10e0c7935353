"""站内信: notices to an organisation, a person or a user, in both languages, with senders."""
