/** Every query of a tenant's data takes its scope and puts it in its WHERE clause. */
export interface TenantScope {
  readonly tenantId: string;
}

export interface EnvironmentScope {
  readonly tenantId: string;
  readonly environmentId: string;
}

export const environmentWhere = (scope: EnvironmentScope) => ({
  tenant_id: scope.tenantId,
  environment_id: scope.environmentId,
});
