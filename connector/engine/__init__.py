"""The pure decision core: business time, conditions, the planner, explanations. No I/O."""
