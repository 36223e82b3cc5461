"""Telematics: the GPS trackers in mortgaged cars, from their wire protocols to live state."""
