"""Slack surface: renders Answers in Slack. It never decides what to answer."""
