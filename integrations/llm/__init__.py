"""The LLM planner (litellm), its tool schemas and prompt.

Importing this package does not import litellm: that happens on the first request.
"""

from integrations.llm.planner import BUDGET_NOTICE, LLMPlanner, PlannerStats, build_planner

__all__ = ["BUDGET_NOTICE", "LLMPlanner", "PlannerStats", "build_planner"]
