"""The config models by their older home: rules.yaml's are in connector.config.rules,
mappings.yaml's in connector.config.mappings and connector.config.trackers (import from there;
this module only keeps imports written before the split working)."""

from __future__ import annotations

from connector.config.mappings import Mailbox, MappingsFile
from connector.config.rules import (
    Calendar,
    IncludedRules,
    Limits,
    Rule,
    RulesFile,
    StatusDef,
    TierDef,
    Timeframe,
    TransitionDef,
    Workflow,
)
from connector.config.trackers import (
    FIELD_TARGETS,
    ComponentTarget,
    CustomFieldTarget,
    FieldMap,
    LabelTarget,
    RoleDef,
)

__all__ = ["FIELD_TARGETS", "Calendar", "ComponentTarget", "CustomFieldTarget", "FieldMap",
           "IncludedRules", "LabelTarget", "Limits", "Mailbox", "MappingsFile", "RoleDef",
           "Rule", "RulesFile", "StatusDef", "TierDef", "Timeframe", "TransitionDef", "Workflow"]
