"""Configuration: YAML files in one folder, validated by typed models on load.

``load_config()`` returns a ``Config``; any mistake raises ``ConfigError`` whose lines name the
file, the entry and the field. The folder is ``--config DIR``, else ``TENDERWATCH_CONFIG_DIR``,
else ``config/`` in the working directory.
"""

from tenderwatch.config.loader import ConfigError, config_dir, load_config
from tenderwatch.config.models import (
    CompanyConfig,
    Config,
    IloConfig,
    OrganisationConfig,
    Schedule,
    Settings,
    SourceConfig,
    TaxonomyConfig,
)

__all__ = [
    "CompanyConfig",
    "Config",
    "ConfigError",
    "IloConfig",
    "OrganisationConfig",
    "Schedule",
    "Settings",
    "SourceConfig",
    "TaxonomyConfig",
    "config_dir",
    "load_config",
]
