/**
 * openstack-helm: each agent in a pod of a daemonset (<name>-default, from helm-toolkit's
 * daemonset_overrides), host network, one pid namespace per pod; configs from the Secret neutron-etc
 * (the chart's `conf` values), state in an emptyDir lost when the pod goes, the metadata socket in a
 * hostPath. A restart is a new pod. Data only in this version (works: false).
 *
 * Sources (../shared/reference/containers-nova.md 1.1 to 1.6): openstack/openstack-helm 0ee5adeffcae
 * neutron/templates/bin/_neutron-dhcp-agent.sh.tpl, _neutron-ovn-metadata-agent.sh.tpl,
 * neutron/templates/daemonset-dhcp-agent.yaml, neutron/values.yaml (the hostPath socket dir),
 * helm-toolkit/templates/utils/_daemonset_overrides.tpl.
 */
import type {Deployment, ServiceEntry} from './types.js'

const pod = (name: string, values: string): ServiceEntry => ({
  configs: [],
  edit: `conf.${values} in the neutron chart's values`,
  logs: [`kubectl -n openstack logs ds/neutron-${name}-default`],
  unit: `neutron-${name}-default`,
})

export const openstackHelm: Deployment = {
  containers: true,
  control: {
    reconfigure: 'helm upgrade neutron openstack-helm/neutron --namespace openstack --reuse-values --values <the changed values>',
    restart: 'kubectl -n openstack rollout restart ds/{unit}',
    status: 'kubectl -n openstack rollout status ds/{unit}',
  },
  hostStatePath: '/var/lib/kubelet/pods/<pod uid>/volumes/kubernetes.io~empty-dir/pod-var-neutron',
  label: 'openstack-helm',
  metadataSocket: '/var/lib/neutron/openstack-helm/metadata_proxy',
  name: 'openstack-helm',
  services: {
    'dhcp-agent': pod('dhcp-agent', 'dhcp_agent'),
    'l3-agent': pod('l3-agent', 'l3_agent'),
    'metadata-agent': pod('metadata-agent', 'metadata_agent'),
    'ovn-controller': {configs: [], logs: ['kubectl -n openstack logs ds/ovn-controller'], unit: 'ovn-controller'},
    'ovn-metadata-agent': pod('ovn-metadata-agent', 'ovn_metadata_agent'),
    server: {
      configs: [],
      control: {restart: 'kubectl -n openstack rollout restart deployment/{unit}', status: 'kubectl -n openstack rollout status deployment/{unit}'},
      edit: "conf.neutron in the neutron chart's values",
      logs: ['kubectl -n openstack logs deployment/neutron-server'],
      unit: 'neutron-server',
    },
  },
  signs: [{cgroup: /kubepods/}, {paths: ['/var/lib/neutron/openstack-helm']}],
  statePath: '/var/lib/neutron',
  title: 'openstack-helm',
  works: false,
}
