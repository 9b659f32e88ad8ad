"""moto's server, with the one CloudFormation delete it lacks.

moto 5.2.5 never deletes a stack's AWS::EC2::RouteTable (its model has no
delete), so DeleteStack of a stack that made its own VPC fails with
DependencyViolation, which AWS does not do. This gives the route table the
delete AWS has, then runs moto's server with the arguments given.
"""

import sys

from moto.ec2.models import ec2_backends
from moto.ec2.models.route_tables import RouteTable


def _delete(self, account_id, region_name):
    backend = ec2_backends[account_id][region_name]
    # moto keeps the subnets' associations, which the stack's own
    # SubnetRouteTableAssociation resources would have removed first.
    for association_id in list(self._associations):
        backend.disassociate_route_table(association_id)
    backend.delete_route_table(self.id)


RouteTable.delete = _delete

from moto.server import main  # noqa: E402

sys.exit(main())
