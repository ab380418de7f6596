import * as Flags from '@oclif/core/flags'

const os = (description: string, helpValue?: string) => Flags.string({description, helpGroup: 'OPENSTACK', helpValue})

/** The OpenStack client conventions: --os-* flags beat OS_* variables, which beat clouds.yaml. */
export const openstackFlags = {
  insecure: Flags.boolean({allowNo: false, description: 'do not verify the API TLS certificate (OS_INSECURE)', helpGroup: 'OPENSTACK'}),
  'os-application-credential-id': os('application credential id, with --os-auth-type v3applicationcredential (OS_APPLICATION_CREDENTIAL_ID)', 'ID'),
  'os-application-credential-name': os(
    'application credential name, with the user (--os-username or OS_USER_ID) instead of its id (OS_APPLICATION_CREDENTIAL_NAME)',
    'NAME',
  ),
  'os-application-credential-secret': os('application credential secret (OS_APPLICATION_CREDENTIAL_SECRET); never printed', 'SECRET'),
  'os-auth-type': os(
    'password (default), token, v3applicationcredential (Keystone v3; the credential carries its project), or none (noauth server; needs --os-endpoint)',
    'TYPE',
  ),
  'os-auth-url': os('Keystone URL, v3 or v2.0 (OS_AUTH_URL)', 'URL'),
  'os-cacert': os('CA bundle for TLS (OS_CACERT)', 'FILE'),
  'os-cloud': os('cloud name in clouds.yaml (OS_CLOUD)', 'NAME'),
  'os-endpoint': os('network API URL, skipping the catalog (OS_ENDPOINT, OS_URL)', 'URL'),
  'os-identity-api-version': os('3 or 2.0, when the auth URL does not say (OS_IDENTITY_API_VERSION)', 'V'),
  'os-interface': os('public (default), internal or admin (OS_INTERFACE)', 'IF'),
  'os-password': os('password (OS_PASSWORD); never printed', 'PASSWORD'),
  'os-project-domain-name': os('project domain (OS_PROJECT_DOMAIN_NAME, default Default)', 'NAME'),
  'os-project-id': os('project id (OS_PROJECT_ID, OS_TENANT_ID)', 'ID'),
  'os-project-name': os('project (OS_PROJECT_NAME, OS_TENANT_NAME)', 'NAME'),
  'os-region-name': os('region (OS_REGION_NAME)', 'NAME'),
  'os-timeout': os('seconds each API request may take, 1 to 3600 (OS_TIMEOUT, api_timeout in clouds.yaml; default 30)', 'S'),
  'os-token': os('token (OS_TOKEN); with --os-endpoint Keystone is skipped; never printed', 'TOKEN'),
  'os-user-id': os('user id, for an application credential given by name (OS_USER_ID)', 'ID'),
  'os-user-domain-name': os('user domain (OS_USER_DOMAIN_NAME, default Default)', 'NAME'),
  'os-username': os('user (OS_USERNAME)', 'NAME'),
}

export type OpenstackFlagValues = {[K in keyof typeof openstackFlags]?: K extends 'insecure' ? boolean : string}
