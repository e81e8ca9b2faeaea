"""The pitch programme: call for pitches, judging, the stage programme, audience vote, awards."""
