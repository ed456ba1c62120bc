"""Reading an invite: is it an interview, who interviewed me, for what job."""
