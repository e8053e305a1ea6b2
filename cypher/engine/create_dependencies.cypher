// create_dependencies: Create DEPENDS_ON edges between new steps.
// Parameters: $edges
// Result columns: none
UNWIND $edges AS edge
MATCH (a:ExecutionStep {id: edge[0]}), (b:ExecutionStep {id: edge[1]})
CREATE (a)-[:DEPENDS_ON]->(b)
