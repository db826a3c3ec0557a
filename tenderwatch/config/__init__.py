"""Configuration: YAML files in one folder, validated by typed models on load.

``load_config()`` returns a ``Config``; any mistake raises ``ConfigError`` whose lines name the
file, the entry and the field. The folder is ``--config DIR``, else ``TENDERWATCH_CONFIG_DIR``,
else ``config/`` in the working directory.
"""

from tenderwatch.config.companies import CompanyConfig
from tenderwatch.config.loader import ConfigError, config_dir, load_config
from tenderwatch.config.models import Config, IloConfig, OrganisationConfig, Schedule, Settings, SourceConfig
from tenderwatch.config.taxonomy import TaxonomyConfig

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
