"""What each field does: loads through the ORM, asks the policy, returns domain data."""
