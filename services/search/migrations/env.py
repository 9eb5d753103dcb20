from services.search.storage import SearchBase
from services.shared import migration_env

migration_env.run(SearchBase.metadata)
