"""provider = "microsoft": Microsoft 365 and Outlook.com through Microsoft Graph."""
