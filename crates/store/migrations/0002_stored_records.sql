-- Record format 1: every `record` column holds the store's own record shape (snake_case
-- fields, format version in "v"; see src/records.rs) instead of the model's wire-shaped
-- JSON (PascalCase, no "v") written before this migration.
--
-- sqlx applies this file and records it in _sqlx_migrations in one transaction: a crash
-- leaves every row in the old format with the migration unrecorded (it runs again at the
-- next open), or every row converted. Each statement also skips rows that already carry a
-- "v". Nested JSON values go through json() so they are embedded as JSON, and numbers are
-- taken as their JSON text so floats keep every digit.

UPDATE function_versions SET record = json_object(
    'v', 1,
    'function_name', record ->> '$.FunctionName',
    'version', version,
    'settings', json_object(
        'runtime', record ->> '$.Settings.Runtime',
        'role', record ->> '$.Settings.Role',
        'handler', record ->> '$.Settings.Handler',
        'description', record ->> '$.Settings.Description',
        'timeout_seconds', json(record -> '$.Settings.Timeout'),
        'memory_mb', json(record -> '$.Settings.MemorySize'),
        'environment', json(record -> '$.Settings.Environment'),
        'layers', json((
            SELECT json_group_array(json_object(
                'arn', l.value ->> '$.Arn',
                'code_size', json(l.value -> '$.CodeSize'),
                'unzipped_size', json(l.value -> '$.UnzippedSize'),
                'sha256_hex', l.value ->> '$.Sha256Hex'
            ) ORDER BY l.key)
            FROM json_each(record, '$.Settings.Layers') AS l
        )),
        'architectures', json(record -> '$.Settings.Architectures'),
        'ephemeral_storage_mb', json(record -> '$.Settings.EphemeralStorage'),
        'tracing_mode', record ->> '$.Settings.TracingMode',
        'dead_letter_target', record ->> '$.Settings.DeadLetterTarget',
        'kms_key_arn', record ->> '$.Settings.KmsKeyArn',
        'vpc', json(CASE json_type(record, '$.Settings.Vpc') WHEN 'object' THEN json_object(
            'subnet_ids', json(coalesce(record -> '$.Settings.Vpc.SubnetIds', '[]')),
            'security_group_ids', json(coalesce(record -> '$.Settings.Vpc.SecurityGroupIds', '[]')),
            'ipv6_allowed_for_dual_stack', json(record -> '$.Settings.Vpc.Ipv6AllowedForDualStack')
        ) END),
        'logging', json_object(
            'log_format', record ->> '$.Settings.Logging.LogFormat',
            'application_log_level', record ->> '$.Settings.Logging.ApplicationLogLevel',
            'system_log_level', record ->> '$.Settings.Logging.SystemLogLevel',
            'log_group', record ->> '$.Settings.Logging.LogGroup'
        )
    ),
    'code', json_object(
        'sha256_hex', record ->> '$.Code.Sha256Hex',
        'sha256_b64', record ->> '$.Code.Sha256B64',
        'size', json(record -> '$.Code.Size'),
        'unzipped_size', json(record -> '$.Code.UnzippedSize')
    ),
    'last_modified', record ->> '$.LastModified',
    'revision_id', record ->> '$.RevisionId'
)
WHERE json_type(record, '$.v') IS NULL;

UPDATE aliases SET record = json_object(
    'v', 1,
    'name', record ->> '$.Name',
    'function_version', record ->> '$.FunctionVersion',
    'description', record ->> '$.Description',
    'routing_weights', json(CASE json_type(record, '$.RoutingConfig') WHEN 'object' THEN
        coalesce(record -> '$.RoutingConfig.AdditionalVersionWeights', '{}') END),
    'revision_id', record ->> '$.RevisionId'
)
WHERE json_type(record, '$.v') IS NULL;

UPDATE layer_versions SET record = json_object(
    'v', 1,
    'layer_name', record ->> '$.LayerName',
    'version', json(record -> '$.Version'),
    'description', record ->> '$.Description',
    'created_date', record ->> '$.CreatedDate',
    'compatible_runtimes', json(record -> '$.CompatibleRuntimes'),
    'compatible_architectures', json(record -> '$.CompatibleArchitectures'),
    'license_info', record ->> '$.LicenseInfo',
    'code', json_object(
        'sha256_hex', record ->> '$.Code.Sha256Hex',
        'sha256_b64', record ->> '$.Code.Sha256B64',
        'size', json(record -> '$.Code.Size'),
        'unzipped_size', json(record -> '$.Code.UnzippedSize')
    )
)
WHERE json_type(record, '$.v') IS NULL;

UPDATE event_invoke_configs SET record = json_object(
    'v', 1,
    'maximum_retry_attempts', json(record -> '$.Settings.MaximumRetryAttempts'),
    'maximum_event_age_seconds', json(record -> '$.Settings.MaximumEventAgeInSeconds'),
    'destinations', json(CASE json_type(record, '$.Settings.DestinationConfig') WHEN 'object' THEN json_object(
        'on_success', record ->> '$.Settings.DestinationConfig.OnSuccess.Destination',
        'on_failure', record ->> '$.Settings.DestinationConfig.OnFailure.Destination'
    ) END),
    'last_modified_epoch_seconds', json(record -> '$.LastModified')
)
WHERE json_type(record, '$.v') IS NULL;
