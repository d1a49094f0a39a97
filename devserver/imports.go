package devserver

import (
	_ "go.temporal.io/server/common/config"
	_ "go.temporal.io/server/common/dynamicconfig"
	_ "go.temporal.io/server/common/log"
	_ "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	_ "go.temporal.io/server/schema/sqlite"
	_ "go.temporal.io/server/temporal"
	_ "go.temporal.io/server/temporaltest"
	_ "go.temporal.io/sdk/client"
	_ "go.temporal.io/sdk/worker"
	_ "go.temporal.io/sdk/testsuite"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/go-chi/chi/v5"
	_ "github.com/expr-lang/expr"
	_ "gopkg.in/yaml.v3"
	_ "github.com/stretchr/testify/require"
	_ "github.com/google/uuid"
)
