"""Investor matchmaking: profiles, recommendations, requests, schedules, agendas, outcomes."""
