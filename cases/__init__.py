"""The case domain: orders, cases, policy, calendar and deadlines. Pure Python."""
