"""The alerts context: alarm rules, alarms and the inbox, escalation and notifications."""
