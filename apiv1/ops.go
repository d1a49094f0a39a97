package apiv1

// Ready is the answer of getReadiness when the database and the workflow
// engine answer.
type Ready struct {
	Status   string `json:"status" enum:"ready"`
	Database string `json:"database" enum:"ok" description:"The database answered a ping."`
	Engine   string `json:"engine" enum:"ok,unchecked" description:"The workflow engine answered a health check (unchecked: the engine cannot be asked)."`
}
