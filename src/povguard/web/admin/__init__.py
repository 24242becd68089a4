"""Administration: users, the policy in force and the audit log."""
