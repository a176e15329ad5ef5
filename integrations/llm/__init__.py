"""The LLM planner (litellm), its tool schemas, prompt and usage ledger.

Importing this package does not import litellm: that happens on the first request.
"""

from integrations.llm.planner import BUDGET_NOTICE, LLMPlanner, PlannerStats, build_planner
from integrations.llm.usage import Usage, UsageRecord, UsageTotals

__all__ = [
    "BUDGET_NOTICE", "LLMPlanner", "PlannerStats", "Usage", "UsageRecord", "UsageTotals", "build_planner",
]
