// list_root_plans: plans newest first with their step counts by status. Root plans (no
// incoming SPAWNED) only, unless $root_only is false. $status filters (null: any status
// but that of plans a newer version SUPERSEDES; ask for SUPERSEDED to see those).
// Parameters: $root_only, $status, $limit
// Result columns: plan, statuses
MATCH (p:ExecutionPlan)
WHERE ($status IS NULL OR p.status = $status)
  AND (NOT $root_only OR NOT EXISTS { (:ExecutionStep)-[:SPAWNED]->(p) })
  AND ($status IS NOT NULL OR NOT EXISTS { (:ExecutionPlan)-[:SUPERSEDES]->(p) })
WITH p
ORDER BY p.created_at DESC
LIMIT $limit
RETURN p {.*, supersedes: head([(p)-[:SUPERSEDES]->(older:ExecutionPlan) | older.id]),
          parent_step_id: head([(ps:ExecutionStep)-[:SPAWNED]->(p) | ps.id]),
          parent_plan_id: head([(pp:ExecutionPlan)-[:CONTAINS_STEP]->(:ExecutionStep)
                                -[:SPAWNED]->(p) | pp.id]),
          // The family's root: the plan up the SPAWNED chain that nothing spawned.
          root_plan_id: head([(root:ExecutionPlan)-[:CONTAINS_STEP|SPAWNED*0..]->(p)
                              WHERE NOT EXISTS { (:ExecutionStep)-[:SPAWNED]->(root) }
                              | root.id])} AS plan,
       [(p)-[:CONTAINS_STEP]->(s:ExecutionStep) | s.status] AS statuses
