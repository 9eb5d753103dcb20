from services.shared import migration_env
from services.tenant.storage import TenantBase

migration_env.run(TenantBase.metadata)
