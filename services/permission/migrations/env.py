from services.permission.storage import PermissionBase
from services.shared import migration_env

migration_env.run(PermissionBase.metadata)
