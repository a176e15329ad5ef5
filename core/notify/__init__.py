"""Darcy speaks first: assignment messages, due reminders, digests (issue #20).

- `prefs`: a person's notification settings (the admin config's defaults, their own choices over them);
- `schedule`: wall-clock times in a person's timezone, daylight saving and quiet hours;
- `planner`: pure: the board, the people and the clock → notices, each with a unique key;
- `changes`: which assignments are new since the last look (the one module that reads the board's history);
- `render`: a notice as the words and buttons a person sees;
- `ports`: what the service needs from outside (the ledger in the database, a notifier per platform);
- `service`: a tick: plan → claim in the database (exactly once across replicas) → deliver → audit.
"""
