from services.mobile_bff.storage import MobileBase
from services.shared import migration_env

migration_env.run(MobileBase.metadata)
