from services.shared import migration_env
from services.workspace.storage import WorkspaceBase

migration_env.run(WorkspaceBase.metadata)
