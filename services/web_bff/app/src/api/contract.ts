// The app's types (types.ts) held to the contracts. openapi.gen.ts is generated from
// gen/openapi.json, itself generated from proto/ (build.sh keeps it current), so a field the
// contract does not have, or a value it would not take, fails `tsc` here, not in a browser.

import type { components } from "./openapi.gen";
import type * as App from "./types";

type Schemas = components["schemas"];

/** true when every field of `Mine` is in `Contract`, with values `Contract` takes. */
type Conforms<Mine, Contract> = [Mine] extends [Contract]
  ? [Exclude<keyof Mine, keyof Contract>] extends [never]
    ? true
    : { notInContract: Exclude<keyof Mine, keyof Contract> }
  : { notAssignable: Mine };

type Holds<Check extends true> = Check;

export type ContractChecks = [
  Holds<Conforms<App.Role, Schemas["pyat.permission.v1.Role"]>>,
  Holds<Conforms<App.User, Schemas["pyat.user.v1.User"]>>,
  Holds<Conforms<App.Workspace, Schemas["pyat.workspace.v1.Workspace"]>>,
  Holds<Conforms<App.Base, Schemas["pyat.workspace.v1.Base"]>>,
  Holds<Conforms<App.Field, Schemas["pyat.schema.v1.Field"]>>,
  Holds<Conforms<App.View, Schemas["pyat.schema.v1.View"]>>,
  Holds<Conforms<App.Table, Schemas["pyat.schema.v1.Table"]>>,
  Holds<Conforms<App.FieldSpec, Schemas["pyat.schema.v1.FieldSpec"]>>,
  Holds<Conforms<App.ChangeKind, Schemas["pyat.airtable.v1.ChangeKind"]>>,
  Holds<Conforms<App.ProtoRecord, Schemas["pyat.airtable.v1.Record"]>>,
  Holds<Conforms<App.RecordChange, Schemas["pyat.airtable.v1.RecordChange"]>>,
  Holds<Conforms<App.Partial, Schemas["pyat.webbff.v1.Partial"]>>,
  Holds<Conforms<App.HomeResponse, Schemas["pyat.webbff.v1.GetHomeResponse"]>>,
  Holds<Conforms<App.GridResponse, Schemas["pyat.webbff.v1.GetGridResponse"]>>,
  Holds<Conforms<App.GridRowsResponse, Schemas["pyat.webbff.v1.GetGridRowsResponse"]>>,
  Holds<Conforms<App.WatchTableResponse, Schemas["pyat.webbff.v1.WatchTableResponse"]>>,
];
