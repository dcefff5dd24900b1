"""Real-time monitoring: GDELT event stream, country signals, threshold rules and alerts."""
