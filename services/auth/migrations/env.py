from services.auth.storage import AuthBase
from services.shared import migration_env

migration_env.run(AuthBase.metadata)
