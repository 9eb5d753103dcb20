from services.airtable_gateway.native.storage import RecordsBase
from services.shared import migration_env

migration_env.run(RecordsBase.metadata)
