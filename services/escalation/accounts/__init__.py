"""Login accounts as hazard_api announces them (`org.account_changed`): locked or cut off."""
