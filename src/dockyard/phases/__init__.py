"""The five phases of the rollout as plans and actions; ``dockyard.tasks`` wraps them for invoke."""
