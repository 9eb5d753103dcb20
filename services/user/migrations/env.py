from services.shared import migration_env
from services.user.storage import UserBase

migration_env.run(UserBase.metadata)
