"""Services of the phone's channels: USSD *7777#, SMS to 7777, notices to a cartable's SIMs."""
