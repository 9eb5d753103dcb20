// Sharing a workspace: its members and their roles, invitations by email, and the
// invitations addressed to the signed-in user (workspace-service's transcoded /v1 routes).

import { apiJson, jsonBody } from "./session";
import type { Role, User, Workspace } from "./types";

const enc = encodeURIComponent;

/** pyat.workspace.v1.Member */
export interface Member {
  user_id: string;
  role: Role;
  granted_at?: string;
}

/** A member with the profile user-service has for them (missing if it could not be read). */
export interface MemberProfile extends Member {
  user?: User;
}

/** pyat.workspace.v1.Invitation */
export interface Invitation {
  id: string;
  workspace_id: string;
  email: string;
  role: Role;
  invited_by?: string;
  created_at?: string;
  expires_at?: string;
  workspace_name?: string;
}

/** The roles one can give, lowest first, with the words people read. */
export const ROLE_CHOICES: { role: Role; label: string }[] = [
  { role: "ROLE_READ_ONLY", label: "Read-only" },
  { role: "ROLE_COMMENTER", label: "Commenter" },
  { role: "ROLE_EDITOR", label: "Editor" },
  { role: "ROLE_CREATOR", label: "Creator" },
  { role: "ROLE_OWNER", label: "Owner" },
];

export function roleLabel(role: Role | undefined): string {
  return ROLE_CHOICES.find((c) => c.role === role)?.label ?? "No role";
}


export async function listMembers(workspaceId: string): Promise<MemberProfile[]> {
  const answer = await apiJson<{ members?: Member[] }>(`/v1/workspaces/${enc(workspaceId)}/members`);
  const members = answer.members ?? [];
  // A member whose profile can't be read is still listed, by id.
  const users = await Promise.all(
    members.map((m) => apiJson<{ user: User }>(`/v1/users/${enc(m.user_id)}`).then((a) => a.user, () => undefined)),
  );
  return members.map((m, i) => ({ ...m, user: users[i] }));
}

export async function updateMember(workspaceId: string, userId: string, role: Role): Promise<Member> {
  const answer = await apiJson<{ member: Member }>(
    `/v1/workspaces/${enc(workspaceId)}/members/${enc(userId)}`,
    jsonBody("PATCH", { role }),
  );
  return answer.member;
}

export async function removeMember(workspaceId: string, userId: string): Promise<void> {
  await apiJson(`/v1/workspaces/${enc(workspaceId)}/members/${enc(userId)}`, { method: "DELETE" });
}

export interface Invited {
  invitation: Invitation;
  /** Set when the email has no account in the tenant yet: they sign up with it. */
  signupToken: string;
}

export async function createInvitation(workspaceId: string, email: string, role: Role): Promise<Invited> {
  const answer = await apiJson<{ invitation: Invitation; signup_token?: string }>(
    `/v1/workspaces/${enc(workspaceId)}/invitations`,
    jsonBody("POST", { email, role }),
  );
  return { invitation: answer.invitation, signupToken: answer.signup_token ?? "" };
}

export async function listInvitations(workspaceId: string): Promise<Invitation[]> {
  const answer = await apiJson<{ invitations?: Invitation[] }>(`/v1/workspaces/${enc(workspaceId)}/invitations`);
  return answer.invitations ?? [];
}

export async function revokeInvitation(workspaceId: string, invitationId: string): Promise<void> {
  await apiJson(`/v1/workspaces/${enc(workspaceId)}/invitations/${enc(invitationId)}`, { method: "DELETE" });
}

export async function listMyInvitations(): Promise<Invitation[]> {
  const answer = await apiJson<{ invitations?: Invitation[] }>("/v1/invitations");
  return answer.invitations ?? [];
}

export async function acceptInvitation(invitationId: string): Promise<Workspace> {
  const answer = await apiJson<{ workspace: Workspace }>(
    `/v1/invitations/${enc(invitationId)}:accept`,
    jsonBody("POST", {}),
  );
  return answer.workspace;
}

/** What a signup link carries: the token, and the email and workspace to greet them with. */
export interface InvitationLink {
  token: string;
  email: string;
  workspace: string;
}

/** The link an invitee with no account signs up by (the app's /signup route). */
export function invitationLink({ token, email, workspace }: InvitationLink): string {
  const query = new URLSearchParams({ invitation: token, email, workspace });
  return `${window.location.origin}/signup?${query.toString()}`;
}

/** The invitation in the current URL, if it is a signup link. */
export function invitationInUrl(): InvitationLink | null {
  const query = new URLSearchParams(window.location.search);
  const token = query.get("invitation")?.trim();
  if (!token) return null;
  return { token, email: query.get("email") ?? "", workspace: query.get("workspace") ?? "" };
}
