from services.schema.storage import SchemaBase
from services.shared import migration_env

migration_env.run(SchemaBase.metadata)
